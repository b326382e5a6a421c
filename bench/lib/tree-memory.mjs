/** Memory of a supervisor's process tree, split by session, from /proc (proc.mjs). */
import { liveProcesses, memoryByGroup, memoryOf, treeOf } from './proc.mjs';

/**
 * PSS of the supervisor's tree at one moment: per session (its worker's group + its Chromium's group), the
 * supervisor itself, the whole tree, and the reference's tree (a plain whatsapp-web.js client).
 */
export function treeMemory(supervisorPid, list, referencePid) {
  const processes = liveProcesses();
  const tree = treeOf(supervisorPid, processes);
  const byGroup = memoryByGroup(tree, processes);
  const sessions = [];
  const counted = new Set();
  for (const session of list) {
    if (session.pid === null) continue;
    const groups = [session.pid, session.browserPid === null ? undefined : processes.get(session.browserPid)?.pgid].filter((pgid) => pgid !== undefined);
    const use = { sessionId: session.sessionId, pssMb: 0, rssMb: 0, processes: 0 };
    for (const pgid of groups) {
      const group = byGroup.get(pgid);
      if (group === undefined || counted.has(pgid)) continue;
      counted.add(pgid);
      use.pssMb += group.pssMb;
      use.rssMb += group.rssMb;
      use.processes += group.processes;
    }
    sessions.push(use);
  }
  const total = { pssMb: 0, processes: 0 };
  for (const group of byGroup.values()) {
    total.pssMb += group.pssMb;
    total.processes += group.processes;
  }
  const supervisor = memoryOf(supervisorPid);
  const reference = referencePid === undefined ? undefined : memoryByGroup(treeOf(referencePid, processes), processes);
  const referenceTotal =
    reference === undefined
      ? undefined
      : [...reference.values()].reduce((sum, group) => ({ pssMb: sum.pssMb + group.pssMb, processes: sum.processes + group.processes }), { pssMb: 0, processes: 0 });
  return {
    sessions,
    supervisorPssMb: supervisor?.pssMb ?? NaN,
    total,
    // Processes of the tree in no session's group and not the supervisor: strays a count should not miss.
    others: tree.length - 1 - sessions.reduce((sum, session) => sum + session.processes, 0),
    reference: referenceTotal,
  };
}
