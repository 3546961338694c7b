// Pure parser for /proc/net/wireless: which interfaces of a network namespace are wireless (what macvlan cannot sit on).
import { ParseError } from './iproute-json.js';

/**
 * /proc/net/wireless (net/wireless/wext-proc.c): two header lines, then `%6s: …` per interface that has wireless
 * statistics. It is per network namespace (a /proc/net file reads the reader's namespace), unlike /sys/class/net,
 * which shows the namespace its sysfs was mounted in. cfg80211 drivers list an interface here through their wireless
 * extensions compatibility (CONFIG_CFG80211_WEXT) while it is associated; absent file: no wireless extensions at all.
 */
export function parseProcNetWireless(text: string): string[] {
  const lines = text.split('\n');
  if (!lines[0]?.startsWith('Inter-|')) throw new ParseError(`/proc/net/wireless does not start with its header (${JSON.stringify(text.slice(0, 20))}…)`);
  // Interface names never hold a colon (dev_valid_name refuses it): the name is what precedes the first one.
  return lines.slice(2).flatMap((l) => {
    const at = l.indexOf(':');
    return at > 0 ? [l.slice(0, at).trim()] : [];
  });
}
