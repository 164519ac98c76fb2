/**
 * The floor of any run of the program: loading the Pulumi SDK modules the program itself loads, and nothing else.
 * The render of a stack is measured against it.
 */
import "@pulumi/pulumi";
import "@pulumi/kubernetes";
import "@pulumi/random";
import "@pulumi/aws/provider";
import "@pulumi/aws/s3";
import "@pulumi/aws/iam";
import "@pulumi/aws/kms";
import "@pulumi/aws/rds";
import "@pulumi/aws/ec2";
import "@pulumi/aws/opensearch";
