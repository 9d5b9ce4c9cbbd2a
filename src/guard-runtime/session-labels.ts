/**
 * Labels guards add, kept per client session and handed back as `session_labels` (DESIGN.md §4). Bounded both
 * ways: a session keeps at most 64 labels, and the store forgets the least recently labelled session beyond 10,000.
 */
export const SESSION_LABEL_LIMITS = { perSession: 64, sessions: 10_000 } as const;

export class SessionLabels {
  private readonly bySession = new Map<string, Set<string>>();

  get(session: string | undefined): readonly string[] {
    if (session === undefined) return [];
    const labels = this.bySession.get(session);
    return labels ? [...labels] : [];
  }

  add(session: string | undefined, labels: readonly string[]): void {
    if (session === undefined || labels.length === 0) return;
    let set = this.bySession.get(session);
    if (set) this.bySession.delete(session); // re-insert: Map order is recency
    else set = new Set();
    for (const label of labels) if (set.size < SESSION_LABEL_LIMITS.perSession) set.add(label);
    this.bySession.set(session, set);
    while (this.bySession.size > SESSION_LABEL_LIMITS.sessions) this.bySession.delete(this.bySession.keys().next().value!);
  }

  forget(session: string): void {
    this.bySession.delete(session);
  }
}
