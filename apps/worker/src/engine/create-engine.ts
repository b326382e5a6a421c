import { WorkerErrorCode } from '@wsm/ipc-protocol';
import { WorkerError } from '../errors.js';
import type { Engine, EngineContext } from './engine.js';
import { SimulatedEngine } from './simulated-engine.js';

export function createEngine(context: EngineContext): Engine {
  switch (context.settings.engine) {
    case 'simulated':
      return new SimulatedEngine(context);
    case 'webjs':
      throw new WorkerError(
        WorkerErrorCode.ENGINE_UNAVAILABLE,
        "the 'webjs' engine is not built into this worker yet; use engine 'simulated'",
      );
  }
}
