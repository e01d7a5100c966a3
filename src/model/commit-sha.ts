/**
 * A full git commit sha, as the Hub names commits and a Hub cache names its snapshot folders
 * (`snapshots/{commit}/`); any other revision is a branch or tag to resolve. The same test as
 * huggingface_hub's `REGEX_COMMIT_HASH`.
 */
export const COMMIT_RE = /^[0-9a-f]{40}$/;

/** True for a 40-hex commit sha. */
export function isCommitSha(revision: string): boolean {
  return COMMIT_RE.test(revision);
}
