resource "aws_kms_key" "this" {
  description         = "Key of the ${var.name} data domain"
  enable_key_rotation = var.rotation
  policy              = data.aws_iam_policy_document.key.json

  tags = {
    DataDomain = var.name
  }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "Admins"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.admins
    }
  }

  dynamic "statement" {
    for_each = length(var.reader_roles) > 0 ? [var.reader_roles] : []
    content {
      sid       = "Readers"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = statement.value
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.eu-west-1.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "DenyOutsideOrg"
    effect    = "Deny"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalOrgID"
      values   = ["o-example"]
    }
  }
}

resource "aws_s3_bucket" "data" {
  bucket = "${var.name}-data"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}
