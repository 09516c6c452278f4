import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
const app = new App();
const s = new Stack(app, 'Probe');
new Bucket(s, 'B');
app.synth();
