/**
 * The device's pairing, kept in IndexedDB like WhatsApp Web keeps its keys. Not localStorage: Chromium
 * flushes localStorage to disk late, and a browser killed seconds after `ready` lost it, where IndexedDB
 * (committed per transaction) survived.
 */
import type { StoredPairing } from './protocol.js';

const DATABASE = 'wa-web-emulator';
const STORE = 'pairing';
const KEY = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
  });
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode, { durability: 'strict' });
      const request = work(transaction.objectStore(STORE));
      // resolve on commit, not on the request's success: only then is the write durable
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export async function loadPairing(): Promise<StoredPairing | null> {
  const value = await run('readonly', (store) => store.get(KEY) as IDBRequest<StoredPairing | undefined>);
  return value ?? null;
}

export async function savePairing(pairing: StoredPairing): Promise<void> {
  await run('readwrite', (store) => store.put(pairing, KEY));
}

export async function clearPairing(): Promise<void> {
  await run('readwrite', (store) => store.delete(KEY));
}
