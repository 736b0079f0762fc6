data "aws_caller_identity" "current" {}

module "domain" {
  source     = "./modules/domain"
  for_each   = toset(["d00000", "d00001", "d00002"])
  name       = "dom${substr(each.key, 1, 5)}"
  account_id = data.aws_caller_identity.current.account_id
}
