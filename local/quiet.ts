// Imported first by every local entry point: what users see stays free of SDK runtime notices.
// The AWS SDK warns on Node 20 that future releases need Node 22; Lambda itself runs nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The functions' embedded metric format lines are for CloudWatch Logs, not the local console.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
export {};
