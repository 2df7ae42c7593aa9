import { z } from 'zod';

/**
 * A notification: which request, which event, who receives it, and the event's own facts. The lifecycle
 * builds one per mail (committee members each get their own, since each has their own decision link); the
 * templates turn it into subject, text and HTML.
 */
const recipientSchema = z.object({
  address: z.email(),
  displayName: z.string().trim().min(1).max(200).optional(),
});
export type Recipient = z.infer<typeof recipientSchema>;

const dauSchema = z.object({ id: z.string().min(1).max(100), name: z.string().min(1).max(300) });
export type DauRef = z.infer<typeof dauSchema>;

const commonFields = {
  requestId: z.string().min(1).max(128),
  /** The request's project name, as the requester typed it (untrusted text: templates escape it). */
  projectName: z.string().min(1).max(300),
  recipients: z.array(recipientSchema).min(1).max(50),
  /**
   * Tells repeats of one event apart (the second committee reminder, a second expiry notice after an
   * extension): part of the operation id, so each repeat is its own mail and a retried send is not.
   */
  occurrence: z.string().min(1).max(100).optional(),
};

const reviewLinkFields = {
  dau: dauSchema,
  /** The signed, single-use decision token of this member for this DAU (`/api/review-links/{token}`). */
  reviewToken: z.string().min(16).max(4096),
  decideBy: z.iso.datetime().optional(),
};

export const notificationSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('request_submitted'), ...commonFields }),
  z.object({
    event: z.literal('agreement_envelope_sent'),
    ...commonFields,
    signatories: z.array(z.string().min(1).max(200)).max(20).default([]),
  }),
  z.object({
    event: z.literal('signature_declined'),
    ...commonFields,
    declinedBy: z.string().min(1).max(200).optional(),
    reason: z.string().min(1).max(2000).optional(),
  }),
  z.object({
    event: z.literal('agreement_returned'),
    ...commonFields,
    reasons: z.array(z.string().min(1).max(2000)).min(1).max(20),
  }),
  z.object({ event: z.literal('dau_approved'), ...commonFields, dau: dauSchema }),
  z.object({
    event: z.literal('dau_rejected'),
    ...commonFields,
    dau: dauSchema,
    reason: z.string().min(1).max(2000),
  }),
  z.object({
    event: z.literal('data_vended'),
    ...commonFields,
    daus: z.array(dauSchema).min(1).max(100),
    fileCount: z.number().int().min(0),
  }),
  z.object({
    event: z.literal('access_expiring'),
    ...commonFields,
    dau: dauSchema,
    expiresAt: z.iso.datetime(),
  }),
  z.object({
    event: z.literal('access_expired'),
    ...commonFields,
    dau: dauSchema,
    expiredAt: z.iso.datetime(),
  }),
  z.object({
    event: z.literal('access_revoked'),
    ...commonFields,
    dau: dauSchema,
    reason: z.string().min(1).max(2000).optional(),
  }),
  z.object({ event: z.literal('committee_invitation'), ...commonFields, ...reviewLinkFields }),
  z.object({ event: z.literal('committee_reminder'), ...commonFields, ...reviewLinkFields }),
  /** To the admins: a committee's expected decision date passed with the DAU still undecided. */
  z.object({
    event: z.literal('review_deadline_passed'),
    ...commonFields,
    dau: dauSchema,
    deadline: z.iso.datetime(),
    /** How many of the committee have decided so far, of how many. */
    decided: z.number().int().min(0),
    committeeSize: z.number().int().min(1),
  }),
  /** To the admins: access with downloads ended 30 days ago and the requester has not closed out. */
  z.object({
    event: z.literal('closeout_overdue'),
    ...commonFields,
    dau: dauSchema,
    endedAt: z.iso.datetime(),
  }),
]);

export type Notification = z.infer<typeof notificationSchema>;
/** What callers pass (defaults not yet applied). */
export type NotificationInput = z.input<typeof notificationSchema>;
export type NotificationEvent = Notification['event'];
export type NotificationOf<E extends NotificationEvent> = Extract<Notification, { event: E }>;

export const notificationEvents = notificationSchema.options.map(
  (option) => option.shape.event.value,
) as readonly NotificationEvent[];

/** The mail a notification becomes: what the email port sends. */
export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}
