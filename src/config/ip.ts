// IPv4 literals as glibc's numeric getaddrinfo reads them (inet_aton: 1-4 parts, decimal/octal/hex), normalised
// to the dotted quad Redis stores. Pure and import-free: the config parser and the core's SENTINEL MONITOR share it.

/** The dotted quad for an IPv4 literal in any inet_aton form ("0" -> 0.0.0.0, "127.1" -> 127.0.0.1), else null. */
export function normaliseIpv4(host: string): string | null {
  const parts = host.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = p.length === 1 ? 0 : parseInt(p.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = parseInt(p, 10);
    else return null;
    nums.push(n);
  }
  const last = nums.length - 1;
  for (let i = 0; i < last; i++) if ((nums[i] as number) > 255) return null;
  const maxLast = [0xffffffff, 0xffffff, 0xffff, 0xff][last] as number;
  if ((nums[last] as number) > maxLast) return null;
  let v = nums[last] as number;
  for (let i = 0; i < last; i++) v += (nums[i] as number) * 2 ** (8 * (3 - i));
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}
