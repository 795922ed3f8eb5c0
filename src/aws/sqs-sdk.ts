/**
 * The part of the SQS SDK the shard queue uses, for `shard-queue.ts` to load with a dynamic `import()` on the first
 * enqueue. Importing the package itself dynamically would keep every export of its index in the bundle (a
 * namespace object's properties cannot be tree-shaken), every SQS command included.
 */
export { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
