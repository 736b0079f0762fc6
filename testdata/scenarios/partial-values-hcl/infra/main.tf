data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_kms_key" "k" {
  tags = { DataDomain = "orders" }
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }, Action = "kms:*", Resource = "*" },
      { Sid = "Deployer", Effect = "Allow", Principal = { AWS = data.aws_caller_identity.current.arn }, Action = "kms:*", Resource = "*" },
      { Sid = "Rds", Effect = "Allow", Principal = { Service = "rds.amazonaws.com" }, Action = ["kms:Decrypt"], Resource = "*" },
      { Sid = "ViaSecrets", Effect = "Allow", Principal = { AWS = "*" }, Action = ["kms:Decrypt"], Resource = "*",
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${data.aws_region.current.name}.amazonaws.com", "kms:CallerAccount" = data.aws_caller_identity.current.account_id } } },
      { Sid = "Admin", Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/KeyAdmin" }, Action = ["kms:Put*"], Resource = "*" },
    ]
  })
}

resource "aws_s3_bucket" "b" {
  bucket = "orders-data"
}
resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k.arn
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix = "reader-"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "p" {
  role = aws_iam_role.this.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.k.arn }] })
}

resource "aws_iam_role" "other" {
  name = "other"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
  inline_policy {
    name = "alias"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "kms:Decrypt", Resource = "arn:aws:kms:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alias/orders" }] })
  }
}
