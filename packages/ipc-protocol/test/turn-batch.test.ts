import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH, turnBatch } from '../src/runtime.js';

/** A batcher whose writes are recorded, each completed at once. */
function recorded() {
  const writes: Array<number | { batch: number[] }> = [];
  const batch = turnBatch<number, { batch: number[] }>(
    (message, done) => {
      writes.push(message);
      done();
    },
    (messages) => ({ batch: messages }),
  );
  return { batch, writes };
}

describe('turnBatch', () => {
  it('writes what one turn pushed as one batch at its end, in order, and a lone message as itself', async () => {
    const { batch, writes } = recorded();
    batch.push(1);
    batch.push(2);
    batch.push(3);
    expect(writes).toEqual([]);
    await nextTurn();
    batch.push(4);
    await nextTurn();
    expect(writes).toEqual([{ batch: [1, 2, 3] }, 4]);
  });

  it('writes a full batch at once, and never more than MAX_BATCH in one', async () => {
    const { batch, writes } = recorded();
    for (let index = 0; index < MAX_BATCH + 1; index++) batch.push(index);
    expect(writes).toHaveLength(1);
    expect((writes[0] as { batch: number[] }).batch).toHaveLength(MAX_BATCH);
    await nextTurn();
    expect(writes.at(-1)).toBe(MAX_BATCH);
  });

  it('flushes on demand, calling back once written, or at once with nothing queued', async () => {
    const { batch, writes } = recorded();
    const done: string[] = [];
    batch.flush(() => done.push('empty'));
    batch.push(1);
    batch.push(2);
    batch.flush(() => done.push('written'));
    expect(writes).toEqual([{ batch: [1, 2] }]);
    expect(done).toEqual(['empty', 'written']);
    await nextTurn();
    // The end of the turn finds nothing left.
    expect(writes).toHaveLength(1);
  });
});
