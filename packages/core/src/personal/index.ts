export {
  type ForgetResult,
  forgottenSubjectOf,
  personalDataStream,
  type SubjectForgetting,
  type SubjectForgottenData,
  subjectForgottenType,
} from './forget-subject.js';
export {
  type Forgotten,
  isForgotten,
  type PersonalEventContext,
  type PersonalFields,
  type PersonalSchema,
  personal,
  type WithForgotten,
} from './personal-data.js';
export {
  type EncryptedValue,
  type ForgetContext,
  isEncryptedValue,
  type PersonalDataOptions,
  subjectField,
  subjectStreamsCollection,
} from './personal-data-guard.js';
export {
  createDocumentKeyStore,
  type SubjectKey,
  type SubjectKeyStore,
  subjectKeysCollection,
} from './subject-keys.js';
