import { handleAnswerWritten } from '../../functions/triggers/handleAnswerWritten';
import { handleCallWritten } from '../../functions/triggers/handleCallWritten';
import type { TriggerEvent } from './records';
import type { World } from './world';
import { eventServices } from './runPorts';

/** Eventarc's retry of a failed delivery: exponential backoff from 10 s to 10 minutes. */
const MIN_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 600_000;
/** A safety stop for the simulation; the handlers drop events older than 30 minutes anyway. */
const MAX_ATTEMPTS = 20;

/**
 * Eventarc for the two Firestore triggers: every write is delivered late (up to the schedule's
 * triggerDelayMax), sometimes twice, in any order; a run that throws, dies or times out is
 * delivered again with backoff, as `retry: true` asks. Each delivery runs the deployed
 * handler (functions/triggers/handle*.ts) on an instance of its function.
 */
export class Eventarc {
  deliveries = 0;
  redeliveries = 0;

  constructor(private readonly world: World) {}

  publish(event: TriggerEvent): void {
    const { rng, scenario } = this.world;
    this.schedule(event, 0, rng.int(0, scenario.triggerDelayMax));
    if (rng.chance(scenario.duplicateDeliveryRate)) {
      this.schedule(event, 0, rng.int(0, scenario.triggerDelayMax));
    }
  }

  private schedule(event: TriggerEvent, attempt: number, delay: number): void {
    const { clock, rng } = this.world;
    void clock.sleep(delay).then(async () => {
      this.deliveries += 1;
      const ok = await this.deliver(event);
      if (ok || attempt + 1 >= MAX_ATTEMPTS) return;
      this.redeliveries += 1;
      const ceiling = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** attempt);
      this.schedule(event, attempt + 1, rng.int(MIN_BACKOFF_MS, ceiling));
    });
  }

  private async deliver(event: TriggerEvent): Promise<boolean> {
    const { world } = this;
    const time = new Date(event.at).toISOString();
    if (event.kind === 'call') {
      const run = world.startRun('onCallWritten', 'on_call_written', event.callUuid);
      const services = () => Promise.resolve(eventServices(world, run));
      const write = { tenant: world.tenant, callUuid: event.callUuid, time, after: event.after };
      return (await world.execute(run, () => handleCallWritten(write, services))).ok;
    }
    const run = world.startRun('onAnswerWritten', 'on_answer_written', event.callUuid);
    const services = () => Promise.resolve(eventServices(world, run));
    const write = {
      tenant: world.tenant,
      callUuid: event.callUuid,
      deviceId: event.deviceId,
      time,
      createdAt: event.at,
      data: event.data,
    };
    return (await world.execute(run, () => handleAnswerWritten(write, services))).ok;
  }
}
