/**
 * The floor of any run of the program: loading exactly the Pulumi SDK modules the render loads (the program's
 * imports and the policy SDK), and nothing else. The render of a stack is measured against it.
 */
import "@pulumi/pulumi";
import "@pulumi/pulumi/runtime/config";
import "@pulumi/pulumi/runtime/settings";
import "@pulumi/pulumi/runtime/stack";
import "@pulumi/kubernetes";
import "@pulumi/random/randomPassword";
import "@pulumi/policy";
import "@pulumi/aws/provider";
import "@pulumi/aws/ec2/securityGroup";
import "@pulumi/aws/iam";
import "@pulumi/aws/iam/role";
import "@pulumi/aws/iam/rolePolicy";
import "@pulumi/aws/kms";
import "@pulumi/aws/kms/alias";
import "@pulumi/aws/kms/key";
import "@pulumi/aws/opensearch/domain";
import "@pulumi/aws/opensearch/domainPolicy";
import "@pulumi/aws/rds/instance";
import "@pulumi/aws/rds/parameterGroup";
import "@pulumi/aws/rds/subnetGroup";
import "@pulumi/aws/s3";
import "@pulumi/aws/vpc/securityGroupIngressRule";
