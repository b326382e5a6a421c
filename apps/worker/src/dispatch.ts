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
      const { to, text, replyTo, idempotencyKey } = command.params;
      const send = () => engine.sendText(to, text, replyTo === undefined ? {} : { replyTo });
      result = idempotencyKey === undefined ? await send() : await journal.once(idempotencyKey, send);
      break;
    }
    case 'command.sendMedia': {
      const { to, media, caption, asDocument, asVoice, asSticker, replyTo, idempotencyKey } = command.params;
      const toSend = { ...media, ...(caption === undefined ? {} : { caption }), asDocument, asVoice, asSticker };
      const send = () => engine.sendMedia(to, toSend, replyTo === undefined ? {} : { replyTo });
      result = idempotencyKey === undefined ? await send() : await journal.once(idempotencyKey, send);
      break;
    }
    case 'command.downloadMedia':
      result = await engine.downloadMedia(command.params.messageId, command.params.path);
      break;
    case 'command.react':
      await engine.react(command.params.messageId, command.params.emoji);
      result = {};
      break;
    case 'command.markRead':
      await engine.markRead(command.params.chatId);
      result = {};
      break;
    case 'command.checkNumber':
      result = await engine.checkNumber(command.params.phone);
      break;
    case 'command.screenshot': {
      if (engine.screenshot === undefined) {
        throw new WorkerError(WorkerErrorCode.NOT_WEBJS, 'only a webjs session has a WhatsApp Web page to take a screenshot of');
      }
      result = { png: (await engine.screenshot()).toString('base64') };
      break;
    }
    case 'command.logout':
      await engine.logout();
      result = {};
      break;
    case 'command.simulate.scan':
      result = { me: await simulatorOf(engine).scan() };
      break;
    case 'command.simulate.inbound': {
      const { from, text, media, replyTo } = command.params;
      result = await simulatorOf(engine).inbound(from, {
        ...(text === undefined ? {} : { text }),
        ...(media === undefined ? {} : { media }),
        ...(replyTo === undefined ? {} : { replyTo }),
      });
      break;
    }
    case 'command.simulate.reaction':
      await simulatorOf(engine).reaction(command.params.messageId, command.params.emoji, command.params.from);
      result = {};
      break;
    case 'command.simulate.revoke':
      await simulatorOf(engine).revoke(command.params.messageId);
      result = {};
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
