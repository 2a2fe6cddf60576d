/**
 * The tag every meeting and media pipeline this stack creates carries: `chime-recording:stack` =
 * `<service>-<stage>` (STACK_NAME, set by serverless.yml for every function). The reconciler deletes a
 * resource only when it carries this tag with this stack's name, so it never touches an adopted meeting
 * (which the stack did not create and never tags), a pipeline made by anyone else, or another stage's.
 * The key fits both models' TagKey (the meetings pattern `^[a-zA-Z+-=._:/]+$`, whose `+-=` range takes
 * `-` and `:`), and ValidateRequest refuses it in a request's tags.
 */
export const STACK_TAG_KEY = 'chime-recording:stack';

export interface Tag {
  Key: string;
  Value: string;
}

/** This stack's name, as the tag's value. */
export function stackName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.STACK_NAME;
  if (!name) throw new Error('STACK_NAME is not set: serverless.yml sets it for every function (provider.environment), as <service>-<stage>');
  return name;
}

/** The request's tags plus the stack's own, for a create call. */
export function resourceTags(requestTags: Tag[]): Tag[] {
  return [...requestTags, { Key: STACK_TAG_KEY, Value: stackName() }];
}

/** True when the tags say this stack created the resource. */
export function createdByThisStack(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): boolean {
  const name = stackName();
  return (tags ?? []).some((t) => t.Key === STACK_TAG_KEY && t.Value === name);
}
