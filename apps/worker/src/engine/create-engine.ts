import type { WorkerBlocking } from '@wsm/ipc-protocol';
import type { Engine, EngineContext } from './engine.js';
import { SimulatedEngine } from './simulated-engine.js';

export interface CreateEngineHooks {
  /**
   * Called, and awaited, right before a long synchronous step that blocks the event loop: loading whatsapp-web.js
   * and puppeteer-core (~580 modules, 0.37–0.51 s on the event loop of a 2-core machine, idle or busy). A supervised
   * worker tells its supervisor first (`worker.blocking`), so that the silence is not taken for a hang.
   */
  beforeBlocking?(step: WorkerBlocking['step']): Promise<void>;
}

/**
 * The engine a session's settings name. whatsapp-web.js and puppeteer are loaded only by webjs workers:
 * a simulated worker does not pay for them in start-up time or memory.
 */
export async function createEngine(context: EngineContext, hooks: CreateEngineHooks = {}): Promise<Engine> {
  switch (context.settings.engine) {
    case 'simulated':
      return new SimulatedEngine(context);
    case 'webjs': {
      await hooks.beforeBlocking?.('load-engine');
      const { WebjsEngine } = await import('./webjs/webjs-engine.js');
      return new WebjsEngine(context);
    }
  }
}
