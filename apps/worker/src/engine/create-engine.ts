import type { Engine, EngineContext } from './engine.js';
import { SimulatedEngine } from './simulated-engine.js';

/**
 * The engine a session's settings name. whatsapp-web.js and puppeteer are loaded only by webjs workers:
 * a simulated worker does not pay for them in start-up time or memory.
 */
export async function createEngine(context: EngineContext): Promise<Engine> {
  switch (context.settings.engine) {
    case 'simulated':
      return new SimulatedEngine(context);
    case 'webjs': {
      const { WebjsEngine } = await import('./webjs/webjs-engine.js');
      return new WebjsEngine(context);
    }
  }
}
