/** Hooks that tie views to the live store and to one-off API reads. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { LiveSessions } from './live.js';

/** Re-renders the view whenever the live store changes; returns its version. */
export function useLive(live: LiveSessions): number {
  const [version, setVersion] = useState(live.version);
  useEffect(() => live.subscribe(() => setVersion(live.version)), [live]);
  return version;
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): Promise<void>;
}

/** A read that the view can repeat (a refresh button, an event): the last answer, or why it failed. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: string | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const reload = useCallback(async () => {
    setState((previous) => ({ ...previous, loading: true }));
    try {
      const data = await load();
      setState({ data, error: undefined, loading: false });
    } catch (error) {
      setState((previous) => ({ ...previous, error: error instanceof Error ? error.message : String(error), loading: false }));
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { ...state, reload };
}
