/**
 * Webhook deliveries that gave up (GET /webhooks/deliveries?status=failed), with why, to send again or discard;
 * and the outbox's depth, read from the service's own gauges in GET /metrics.
 */
import { useState } from 'preact/hooks';
import { ApiError, call, json } from '../api.js';
import type { DeliveryView } from '../api-types.js';
import { OutcomeLine, Panel, useConfirm, type Outcome } from '../components.js';
import { time } from '../format.js';
import { useLoad } from '../hooks.js';
import { sessionHref } from '../router.js';

interface OutboxDepth {
  pending: number;
  failed: number;
  events: number;
}

/** The outbox gauges of the Prometheus text: `wsm_outbox_deliveries{state="pending"} 3`, `wsm_outbox_events 12`. */
export function outboxDepth(metrics: string): OutboxDepth {
  const gauge = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1] ?? 0);
  return {
    pending: gauge(/^wsm_outbox_deliveries\{state="pending"\} (\S+)$/m),
    failed: gauge(/^wsm_outbox_deliveries\{state="failed"\} (\S+)$/m),
    events: gauge(/^wsm_outbox_events (\S+)$/m),
  };
}

const describe = (error: unknown): string => (error instanceof ApiError ? `${error.message} (${error.code})` : String(error));

export function WebhooksView() {
  const depth = useLoad(async () => outboxDepth(await (await call('GET', '/metrics')).text()), []);
  const failed = useLoad(() => json<DeliveryView[]>('GET', '/webhooks/deliveries?status=failed&limit=1000'), []);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [confirmDialog, ask] = useConfirm();

  const refresh = async (): Promise<void> => {
    await Promise.all([depth.reload(), failed.reload()]);
  };

  const redeliver = async (eventId?: string): Promise<void> => {
    try {
      const { redelivered } = await json<{ redelivered: number }>('POST', '/webhooks/deliveries/redeliver', eventId === undefined ? {} : { eventId });
      setOutcome({ ok: true, text: `${redelivered} deliver${redelivered === 1 ? 'y' : 'ies'} queued again.` });
    } catch (error) {
      setOutcome({ ok: false, text: describe(error) });
    }
    await refresh();
  };

  const discard = async (eventId?: string): Promise<void> => {
    const confirmed = await ask({
      title: eventId === undefined ? 'Discard every failed delivery?' : 'Discard this failed delivery?',
      text: 'Its receiver will never get these events. This cannot be undone.',
      confirm: 'Discard',
    });
    if (!confirmed) return;
    try {
      const query = new URLSearchParams({ status: 'failed', ...(eventId === undefined ? {} : { eventId }) });
      const { discarded } = await json<{ discarded: number }>('DELETE', `/webhooks/deliveries?${query}`);
      setOutcome({ ok: true, text: `${discarded} deliver${discarded === 1 ? 'y' : 'ies'} discarded.` });
    } catch (error) {
      setOutcome({ ok: false, text: describe(error) });
    }
    await refresh();
  };

  const rows = failed.data ?? [];
  return (
    <>
      <div class="view-head">
        <h1>Webhooks</h1>
        <p class="lede">Events are delivered at least once, retried with backoff; deliveries that exhausted their attempts wait here.</p>
      </div>
      <Panel
        title="Outbox"
        id="outbox-title"
        actions={
          <button type="button" onClick={() => void refresh()}>
            Refresh
          </button>
        }
      >
        {depth.error === undefined ? null : <p class="outcome is-error">{depth.error}</p>}
        <ul class="tiles" aria-label="Outbox depth">
          <li class="tile">
            <span class="tile-number" data-field="pending">{depth.data?.pending ?? '…'}</span> to deliver
          </li>
          <li class={`tile ${(depth.data?.failed ?? 0) > 0 ? 'is-alarm' : ''}`}>
            <span class="tile-number" data-field="failed">{depth.data?.failed ?? '…'}</span> failed
          </li>
          <li class="tile">
            <span class="tile-number">{depth.data?.events ?? '…'}</span> events kept
          </li>
        </ul>
      </Panel>
      <Panel
        title="Failed deliveries"
        id="failed-title"
        actions={
          <>
            <button type="button" disabled={rows.length === 0} onClick={() => void redeliver()}>
              Redeliver all
            </button>
            <button type="button" class="danger" disabled={rows.length === 0} onClick={() => void discard()}>
              Discard all
            </button>
          </>
        }
      >
        <OutcomeLine outcome={outcome} />
        {failed.error === undefined ? null : <p class="outcome is-error">{failed.error}</p>}
        <div class="table-wrap">
          <table class="deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Session</th>
                <th scope="col">Target</th>
                <th scope="col" class="num">Attempts</th>
                <th scope="col">Why it failed</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((delivery) => (
                <tr key={`${delivery.eventId} ${delivery.target}`} data-event={delivery.eventId}>
                  <td>
                    <code>{delivery.eventType}</code>
                    <div class="muted small">{delivery.eventId}</div>
                  </td>
                  <td>
                    <a href={sessionHref(delivery.sessionId)}>{delivery.sessionId}</a>
                  </td>
                  <td class="target">{delivery.target}</td>
                  <td class="num">{delivery.attempts}</td>
                  <td class="delivery-error">
                    {delivery.lastError ?? '—'}
                    {delivery.lastStatusCode === null || delivery.lastError?.includes(String(delivery.lastStatusCode)) === true ? null : (
                      <span class="muted"> (HTTP {delivery.lastStatusCode})</span>
                    )}
                  </td>
                  <td class="when">{time(delivery.createdAt)}</td>
                  <td>
                    <div class="row-actions">
                      <button type="button" onClick={() => void redeliver(delivery.eventId)} aria-label={`Redeliver event ${delivery.eventId}`}>
                        Redeliver
                      </button>
                      <button type="button" class="danger" onClick={() => void discard(delivery.eventId)} aria-label={`Discard event ${delivery.eventId}`}>
                        Discard
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
              {rows.length === 0 ? (
                <tr>
                  <td colSpan={7} class="empty">
                    {failed.loading ? 'Loading…' : 'No failed delivery.'}
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      </Panel>
      {confirmDialog}
    </>
  );
}
