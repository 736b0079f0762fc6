terraform {
  required_version = ">= 1.3"
}

provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = {
      ManagedBy = "terraform"
      Team      = var.team
    }
  }
}
