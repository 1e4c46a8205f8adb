/**
 * Permissions (RFC 8656 §9): keyed by the peer's IP address only — "the port number is
 * ignored" — and lasting 300 seconds from the last CreatePermission or ChannelBind
 * that named the address (§9.2, §11.2). Stored as address → expiry (ms), so checking a
 * packet is one Map lookup and one comparison.
 */
export const PERMISSION_LIFETIME_MS = 300_000

export type Permissions = Map<string, number>

export function installPermission(permissions: Permissions, peerAddress: string, now: number): void {
  permissions.set(peerAddress, now + PERMISSION_LIFETIME_MS)
}

export function hasPermission(permissions: Permissions, peerAddress: string, now: number): boolean {
  const expiry = permissions.get(peerAddress)
  return expiry !== undefined && expiry > now
}

/** Drops expired permissions; returns how many were removed. */
export function expirePermissions(permissions: Permissions, now: number): number {
  let removed = 0
  for (const [address, expiry] of permissions) {
    if (expiry <= now) {
      permissions.delete(address)
      removed++
    }
  }
  return removed
}
