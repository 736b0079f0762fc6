data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  # Every reader of every domain gets its own role.
  readers = merge([
    for domain, cfg in var.domains : {
      for r in cfg.readers : "${domain}-${r}" => { domain = domain, reader = r }
    }
  ]...)
}

resource "aws_iam_role" "reader" {
  for_each = local.readers

  name = each.key
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = {
    DataDomain = each.value.domain
  }
}

module "domain" {
  source   = "./modules/domain"
  for_each = var.domains

  name         = each.key
  rotation     = each.value.rotation
  admins       = concat(["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"], each.value.extra_admins)
  reader_roles = [for k, r in aws_iam_role.reader : r.arn if local.readers[k].domain == each.key]
}

# keyreach:ignore KR010 the analytics role reads every domain by design until=2030-01-01
resource "aws_iam_policy" "analytics" {
  name = "analytics-read-all"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DecryptAllDomains"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey"]
        Resource = [for d in module.domain : d.key_arn]
      },
      {
        Sid      = "AssumeReaders"
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = values(aws_iam_role.reader)[*].arn
      },
    ]
  })
}

resource "aws_iam_role" "analytics" {
  name                = "analytics"
  assume_role_policy  = file("${path.module}/policies/analytics-trust.json")
  managed_policy_arns = [aws_iam_policy.analytics.arn]
}

resource "aws_s3_bucket" "audit" {
  bucket = var.audit_bucket_name
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "aws:kms"
      }
    }
  }
}

resource "aws_sqs_queue" "events" {
  count = 2

  name              = "events-${count.index}"
  kms_master_key_id = count.index == 0 ? module.domain["orders"].key_arn : "alias/aws/sqs"
}

resource "aws_kms_grant" "ledger" {
  name              = "ledger-decrypt"
  key_id            = module.domain["payments"].key_id
  grantee_principal = aws_iam_role.reader["payments-ledger"].arn
  operations        = ["Decrypt", "DescribeKey"]

  constraints {
    encryption_context_equals = {
      Department = "finance"
    }
  }
}

resource "aws_iam_role_policy" "crm_inline" {
  name = "crm-extra"
  role = aws_iam_role.reader["customers-crm"].name

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": "kms:Decrypt",
          "Resource": "${module.domain["customers"].key_arn}"
        }
      ]
    }
  EOT
}

module "network" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.0"
  name    = "data"
}
