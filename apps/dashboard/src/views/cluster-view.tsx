/** The cluster's nodes (GET /nodes), their load, and draining one; a single node says so. */
import { useState } from 'preact/hooks';
import { ApiError, json } from '../api.js';
import type { ClusterNodeView } from '../api-types.js';
import { OutcomeLine, Panel, useConfirm, type Outcome } from '../components.js';
import { ago } from '../format.js';
import { useLoad } from '../hooks.js';

/** GET /nodes on a node without DATABASE_URL lists itself, as `local`: there is nothing to drain to. */
const isSingleNode = (nodes: ClusterNodeView[]): boolean => nodes.length === 1 && nodes[0]!.nodeId === 'local';

export function ClusterView() {
  const nodes = useLoad(() => json<ClusterNodeView[]>('GET', '/nodes'), []);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [confirmDialog, ask] = useConfirm();
  const list = nodes.data ?? [];
  const single = isSingleNode(list);

  const drain = async (nodeId: string): Promise<void> => {
    const confirmed = await ask({
      title: `Drain ${nodeId}?`,
      text: 'It hands every session it runs to the other nodes and takes no new ones until it restarts.',
      confirm: 'Drain',
    });
    if (!confirmed) return;
    try {
      const node = await json<ClusterNodeView>('POST', `/nodes/${encodeURIComponent(nodeId)}/drain`);
      setOutcome({ ok: true, text: `${node.nodeId} is ${node.status}.` });
    } catch (error) {
      const text =
        error instanceof ApiError && error.code === 'WSM_NOT_A_CLUSTER'
          ? 'Single node: there is no other node to hand its sessions to.'
          : error instanceof ApiError
            ? `${error.message} (${error.code})`
            : String(error);
      setOutcome({ ok: false, text });
    }
    await nodes.reload();
  };

  return (
    <>
      <div class="view-head">
        <h1>Cluster</h1>
        <p class="lede" data-field="cluster-mode">
          {nodes.data === undefined
            ? 'Loading…'
            : single
              ? 'Single node: this supervisor runs without DATABASE_URL, so it has no other node to hand sessions to.'
              : `${list.length} nodes share one database; a session runs on one of them and any of them answers for it.`}
        </p>
      </div>
      <Panel
        title="Nodes"
        id="nodes-title"
        actions={
          <button type="button" onClick={() => void nodes.reload()}>
            Refresh
          </button>
        }
      >
        {nodes.error === undefined ? null : <p class="outcome is-error">{nodes.error}</p>}
        <OutcomeLine outcome={outcome} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">URL</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Sessions</th>
                <th scope="col">Heartbeat</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((node) => (
                <tr key={node.nodeId}>
                  <th scope="row">{node.nodeId}</th>
                  <td>{node.url}</td>
                  <td>
                    <span class={`badge node-${node.status}`}>{node.status}</span>
                  </td>
                  <td class="num">
                    {node.sessions} / {node.maxSessions}
                    <meter min={0} max={Math.max(1, node.maxSessions)} value={node.sessions} aria-label={`Load of ${node.nodeId}`} />
                  </td>
                  <td>{ago(node.heartbeatAt)}</td>
                  <td>
                    <div class="row-actions">
                      {single ? (
                        <span class="muted">single node</span>
                      ) : (
                        <button type="button" class="danger" disabled={node.status !== 'alive'} onClick={() => void drain(node.nodeId)}>
                          Drain
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
      {confirmDialog}
    </>
  );
}
