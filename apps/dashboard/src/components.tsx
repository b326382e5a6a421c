/** Pieces the views share: the status badge, the confirmation dialog, the action result line, announcements. */
import type { ComponentChildren } from 'preact';
import { useCallback, useRef, useState } from 'preact/hooks';
import type { SessionStatus } from './api-types.js';
import { STATUS_WORDS } from './words.js';

export function StatusBadge({ status }: { status: SessionStatus }) {
  return (
    <span class={`badge status-${status}`} title={STATUS_WORDS[status]}>
      {status}
    </span>
  );
}

/**
 * Screen-reader announcements (status changes, results of actions) go to one polite live region in the page
 * shell, so views need not each keep their own.
 */
export function announce(text: string): void {
  const region = document.getElementById('announcer');
  if (region === null) return;
  region.textContent = '';
  // A fresh text node after a tick: the same words twice in a row are read out again.
  setTimeout(() => (region.textContent = text), 50);
}

interface Question {
  title: string;
  text: string;
  confirm: string;
}

/**
 * A modal `<dialog>` that asks before something that cannot be undone: `await ask(...)` is true when confirmed.
 * The browser's own modal keeps the focus inside it and closes on Escape; the safe choice has the focus first.
 */
export function useConfirm(): [ComponentChildren, (question: Question) => Promise<boolean>] {
  const dialog = useRef<HTMLDialogElement>(null);
  const resolver = useRef<((confirmed: boolean) => void) | undefined>(undefined);
  const [question, setQuestion] = useState<Question | undefined>(undefined);

  const ask = useCallback((next: Question) => {
    setQuestion(next);
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve;
      // After the render that put the question in.
      setTimeout(() => dialog.current?.showModal(), 0);
    });
  }, []);

  const settle = (confirmed: boolean): void => {
    dialog.current?.close();
    resolver.current?.(confirmed);
    resolver.current = undefined;
  };

  const element = (
    <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text" onCancel={() => settle(false)}>
      <h2 id="confirm-title">{question?.title}</h2>
      <p id="confirm-text">{question?.text}</p>
      <div class="actions">
        <button type="button" autofocus onClick={() => settle(false)}>
          Cancel
        </button>
        <button type="button" class="danger" data-confirm onClick={() => settle(true)}>
          {question?.confirm}
        </button>
      </div>
    </dialog>
  );
  return [element, ask];
}

export interface Outcome {
  ok: boolean;
  text: string;
}

/** The result of the last action, where the action was: announced, and shown in words. */
export function OutcomeLine({ outcome }: { outcome: Outcome | undefined }) {
  return (
    <p class={`outcome ${outcome?.ok === false ? 'is-error' : ''}`} role="status">
      {outcome?.text ?? ''}
    </p>
  );
}

export function Panel({ title, id, children, actions }: { title: string; id: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="panel" aria-labelledby={id}>
      <header class="panel-head">
        <h2 id={id}>{title}</h2>
        {actions === undefined ? null : <div class="panel-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
