/**
 * Runs one command against the engine. Both the IPC loop and the terminal runner go through here, so a
 * command behaves the same whether a supervisor or a developer sent it.
 */
import { WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { CommandMessage, CommandName, CommandResult } from '@wsm/ipc-protocol';
import type { Engine, Simulator } from './engine/engine.js';
import { WorkerError } from './errors.js';
import type { SentJournal } from './sent-journal.js';

function simulatorOf(engine: Engine): Simulator {
  if (engine.simulator === undefined) {
    throw new WorkerError(WorkerErrorCode.NOT_SIMULATED, 'only a simulated session can be driven by simulate commands');
  }
  return engine.simulator;
}

export async function dispatch<N extends CommandName>(
  engine: Engine,
  message: CommandMessage<N>,
  journal: SentJournal,
): Promise<CommandResult<N>> {
  // The switch narrows the message; the cast is the price of TypeScript not correlating N with the union.
  const command = message as CommandMessage;
  let result: CommandResult<CommandName>;
  switch (command.type) {
    case 'command.requestPairingCode':
      result = { code: await engine.requestPairingCode(command.params.phoneNumber) };
      break;
    case 'command.sendText': {
      const { to, text, idempotencyKey } = command.params;
      const send = () => engine.sendText(to, text);
      result = idempotencyKey === undefined ? await send() : await journal.once(idempotencyKey, send);
      break;
    }
    case 'command.logout':
      await engine.logout();
      result = {};
      break;
    case 'command.simulate.scan':
      result = { me: await simulatorOf(engine).scan() };
      break;
    case 'command.simulate.inbound':
      result = await simulatorOf(engine).inbound(command.params.from, command.params.text);
      break;
    case 'command.simulate.disconnect':
      await simulatorOf(engine).disconnect();
      result = {};
      break;
    case 'command.simulate.allocate':
      result = { heldMegabytes: await simulatorOf(engine).allocate(command.params.megabytes) };
      break;
  }
  return result as CommandResult<N>;
}
