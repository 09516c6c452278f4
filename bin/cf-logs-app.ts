/**
 * The CDK app: reads the configuration, creates the stack, runs the cdk-nag AwsSolutions checks.
 * A configuration problem stops synthesis with its message on stderr and exit code 1, without a stack trace.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/errors.ts';
import { CfLogsStack } from '../lib/cf-logs-stack.ts';
import { loadConfig } from '../lib/config.ts';

try {
  const app = new App();
  const config = loadConfig({ context: app.node.getAllContext(), cwd: process.cwd() });
  const stack = new CfLogsStack(app, 'CfLogs', {
    description:
      'cf-logs: Cloudflare Logpush to S3, normalized to ECS by Lambda, delivered by Firehose to an S3 lake',
    config,
  });
  Tags.of(stack).add('project', 'cf-logs');
  // cdk-nag 3 is a CDK policy-validation plugin (no longer an Aspect): any unacknowledged finding fails synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
