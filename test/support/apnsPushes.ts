import type { ApnsEnv, RenderedPush } from '../../functions/core/send/push';

/** A VoIP push rendered the way the core renders one, for the tests of the APNs sender. */
export function renderVoipPush(
  token: string,
  headers: Record<string, string> = {},
  apnsEnv: ApnsEnv = 'production',
): RenderedPush {
  return {
    provider: 'apns',
    url: `https://api.push.apple.com/3/device/${token}`,
    method: 'POST',
    headers: {
      'apns-push-type': 'voip',
      'apns-topic': 'com.example.softphone.voip',
      'apns-priority': '10',
      'apns-expiration': '0',
      ...headers,
    },
    body: {
      aps: {},
      type: 'incoming_call',
      callId: 'call-1',
      caller: { number: '+3225550100', name: 'Désirée' },
    },
    token,
    apnsEnv,
  };
}
