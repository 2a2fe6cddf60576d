// Tests never reach real AWS: fixed fake credentials and region, and no SDK node-version warning noise.
process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCALTEST';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local-test-secret';
process.env.AWS_REGION ??= 'us-east-1';
// What serverless.yml sets for every function from AWS::Partition.
process.env.PARTITION ??= 'aws';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.STACK_NAME ??= 'chime-recording-test';
