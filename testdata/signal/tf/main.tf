# The shape of a module example: names from the directory, queues per `count`, one domain key.
locals {
  name = "ex-${basename(path.cwd)}"
}

resource "aws_kms_key" "queues" {
  description         = "queues of ${local.name}"
  enable_key_rotation = true
  tags = {
    DataDomain = "events-${basename(path.cwd)}"
  }
}

resource "aws_sqs_queue" "encrypted" {
  count             = 2
  name              = "sqs/${local.name}-${count.index}"
  kms_master_key_id = aws_kms_key.queues.arn
}

resource "aws_sqs_queue" "default" {
  name                    = "${local.name}-default"
  sqs_managed_sse_enabled = true
}

resource "aws_ssm_parameter" "queue_url" {
  name  = "/${local.name}/queue-url"
  type  = "String"
  value = aws_sqs_queue.encrypted[0].url
}
