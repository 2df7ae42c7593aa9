/**
 * The DocuSign stand-in's data: what the REST API accepts (zod schemas of the parts of an EnvelopeDefinition
 * the stand-in honours) and what it keeps per envelope (also a zod schema, because it is read back from disk).
 * DocuSign writes numbers and booleans as strings ("1", "true"); the schemas accept both.
 */
import { z } from 'zod';

/** "true" / true → true; anything else (absent, "false") → false. */
const flag = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((value) => value === true || (typeof value === 'string' && value.toLowerCase() === 'true'));

/** A non-negative integer written as DocuSign writes it ("3") or as a number. */
const countText = z.union([z.number().int().min(0), z.string().regex(/^\d{1,6}$/)]).transform(Number);

const recipientIdText = z
  .union([z.number().int().min(1), z.string().regex(/^[1-9]\d{0,8}$/)])
  .transform(String);

/** A tab as the SDK sends it (`textTabs[i]`, `signHereTabs[i]`…): kept as given, shown on the signing page. */
const tabSchema = z.looseObject({
  tabLabel: z.string().max(500).optional(),
  value: z.string().max(10_000).optional(),
  selected: z.union([z.boolean(), z.string()]).optional(),
  locked: z.union([z.boolean(), z.string()]).optional(),
  documentId: z.union([z.number(), z.string()]).optional(),
});
export const tabsSchema = z.record(z.string().regex(/^[A-Za-z]+Tabs$/), z.array(tabSchema).max(2_000));
export type Tabs = z.infer<typeof tabsSchema>;

const signerInputSchema = z.looseObject({
  email: z.email().max(100),
  name: z.string().trim().min(1).max(100),
  recipientId: recipientIdText,
  routingOrder: z
    .union([z.number().int().min(1).max(999), z.string().regex(/^[1-9]\d{0,2}$/)])
    .optional()
    .transform((value) => (value === undefined ? 1 : Number(value))),
  clientUserId: z.string().max(100).optional(),
  tabs: tabsSchema.optional(),
});

const documentInputSchema = z.looseObject({
  documentId: z.union([z.number().int().min(1), z.string().regex(/^[1-9]\d{0,8}$/)]).transform(String),
  name: z.string().trim().min(1).max(255),
  fileExtension: z.string().max(10).optional(),
  documentBase64: z.string().min(1),
});

const eventNotificationInputSchema = z.looseObject({
  url: z.url({ protocol: /^https?$/ }),
  requireAcknowledgment: flag,
  includeHMAC: flag,
  deliveryMode: z.string().optional(),
  /** JSON SIM event names ("envelope-completed", "recipient-sent", …). */
  events: z.array(z.string().regex(/^(envelope|recipient)-[a-z-]+$/)).optional(),
  /** The older per-status lists; mapped onto SIM event names. */
  envelopeEvents: z.array(z.looseObject({ envelopeEventStatusCode: z.string() })).optional(),
  recipientEvents: z.array(z.looseObject({ recipientEventStatusCode: z.string() })).optional(),
  eventData: z
    .looseObject({
      version: z.string().optional(),
      format: z.string().optional(),
      includeData: z.array(z.string()).optional(),
    })
    .optional(),
});

export const notificationInputSchema = z.looseObject({
  useAccountDefaults: flag,
  reminders: z
    .looseObject({
      reminderEnabled: flag,
      reminderDelay: countText.optional(),
      reminderFrequency: countText.optional(),
    })
    .optional(),
  expirations: z
    .looseObject({ expireEnabled: flag, expireAfter: countText.optional(), expireWarn: countText.optional() })
    .optional(),
});

const unsupportedRecipientTypes = [
  'agents',
  'carbonCopies',
  'certifiedDeliveries',
  'editors',
  'inPersonSigners',
  'intermediaries',
  'notaries',
  'seals',
  'witnesses',
] as const;

export const envelopeDefinitionSchema = z
  .looseObject({
    status: z.enum(['sent', 'created']).default('created'),
    emailSubject: z.string().max(100).optional(),
    emailBlurb: z.string().max(10_000).optional(),
    documents: z.array(documentInputSchema).max(50).default([]),
    recipients: z
      .looseObject({ signers: z.array(signerInputSchema).max(100).default([]) })
      .default({ signers: [] }),
    eventNotification: eventNotificationInputSchema.optional(),
    notification: notificationInputSchema.optional(),
    customFields: z.looseObject({}).optional(),
  })
  .superRefine((definition, context) => {
    const recipients = definition.recipients as Record<string, unknown>;
    for (const type of unsupportedRecipientTypes) {
      const list = recipients[type];
      if (Array.isArray(list) && list.length > 0) {
        context.addIssue({
          code: 'custom',
          message: `recipients.${type}: the stand-in supports signers only`,
        });
      }
    }
    for (const unsupported of ['compositeTemplates', 'templateId', 'templateRoles'] as const) {
      if ((definition as Record<string, unknown>)[unsupported] !== undefined) {
        context.addIssue({
          code: 'custom',
          message: `${unsupported}: templates are not supported by the stand-in`,
        });
      }
    }
    const format = definition.eventNotification?.eventData?.format;
    if (definition.eventNotification !== undefined && format?.toLowerCase() !== 'json') {
      context.addIssue({
        code: 'custom',
        message:
          'eventNotification.eventData.format: the stand-in sends JSON SIM only ({version:"restv2.1", format:"json"})',
      });
    }
  });
export type EnvelopeDefinitionInput = z.infer<typeof envelopeDefinitionSchema>;

/** Body of `PUT …/envelopes/{id}`: void, send a draft, or nothing (with `resend_envelope=true`). */
/** `PUT …/folders/{folderId}` (FoldersApi.moveEnvelopes). */
export const folderMoveSchema = z.strictObject({
  envelopeIds: z.array(z.string().min(1).max(100)).min(1).max(100),
  fromFolderId: z.string().max(100).optional(),
});

export const envelopeUpdateSchema = z.strictObject({
  status: z.enum(['voided', 'sent']).optional(),
  voidedReason: z.string().trim().min(1).max(200).optional(),
});

/** `deleted`: a draft moved to the recycle bin (`PUT …/folders/recyclebin`), which is how a draft is discarded. */
export const envelopeStatuses = [
  'created',
  'sent',
  'delivered',
  'completed',
  'declined',
  'voided',
  'deleted',
] as const;
export type EnvelopeStatus = (typeof envelopeStatuses)[number];
export const recipientStatuses = ['created', 'sent', 'delivered', 'completed', 'declined'] as const;

const storedSignerSchema = z.object({
  recipientId: z.string(),
  recipientIdGuid: z.string(),
  name: z.string(),
  email: z.string(),
  routingOrder: z.number().int(),
  clientUserId: z.string().optional(),
  tabs: tabsSchema.optional(),
  status: z.enum(recipientStatuses),
  /** The capability in this recipient's signing link. */
  signingToken: z.string(),
  sentAt: z.number().optional(),
  deliveredAt: z.number().optional(),
  signedAt: z.number().optional(),
  declinedAt: z.number().optional(),
  declinedReason: z.string().optional(),
  lastReminderAt: z.number().optional(),
});
export type StoredSigner = z.infer<typeof storedSignerSchema>;

const storedDeliverySchema = z.object({
  id: z.string(),
  /** Global order of creation (kept across restarts). */
  seq: z.number().int(),
  event: z.string(),
  url: z.string(),
  /** The JSON SIM payload without `retryCount` (added per attempt, so each attempt is signed afresh). */
  payload: z.record(z.string(), z.unknown()),
  includeHmac: z.boolean(),
  requireAcknowledgment: z.boolean(),
  attempts: z.number().int(),
  nextAttemptAt: z.number(),
  /** `failed` after the last retry; kept so it can be inspected. */
  state: z.enum(['pending', 'failed']),
});
export type StoredDelivery = z.infer<typeof storedDeliverySchema>;

export const storedEnvelopeSchema = z.object({
  format: z.literal('docusign-standin-envelope/1'),
  envelopeId: z.string(),
  accountId: z.string(),
  status: z.enum(envelopeStatuses),
  emailSubject: z.string(),
  emailBlurb: z.string().optional(),
  createdAt: z.number(),
  sentAt: z.number().optional(),
  deliveredAt: z.number().optional(),
  completedAt: z.number().optional(),
  declinedAt: z.number().optional(),
  voidedAt: z.number().optional(),
  voidedReason: z.string().optional(),
  statusChangedAt: z.number(),
  documents: z.array(
    z.object({
      documentId: z.string(),
      name: z.string(),
      order: z.number().int(),
      bytes: z.number().int(),
      sha256: z.string(),
    }),
  ),
  signers: z.array(storedSignerSchema),
  customFields: z.record(z.string(), z.unknown()).optional(),
  eventNotification: z
    .object({
      url: z.string(),
      events: z.array(z.string()),
      includeData: z.array(z.string()),
      includeHmac: z.boolean(),
      requireAcknowledgment: z.boolean(),
    })
    .optional(),
  notification: z.object({
    reminderDelayDays: z.number().int(),
    /** 0 = one reminder only. */
    reminderFrequencyDays: z.number().int(),
    remindersEnabled: z.boolean(),
    expireAfterDays: z.number().int(),
    expireWarnDays: z.number().int(),
    expireEnabled: z.boolean(),
  }),
  expireWarned: z.boolean().default(false),
  outbox: z.array(storedDeliverySchema),
});
export type StoredEnvelope = z.infer<typeof storedEnvelopeSchema>;
export type EnvelopeNotification = StoredEnvelope['notification'];
