variable "team" {
  type    = string
  default = "data-platform"
}

variable "domains" {
  description = "Data domains: readers get kms:Decrypt through the key policy."
  type = map(object({
    readers        = list(string)
    rotation       = optional(bool, true)
    extra_admins   = optional(list(string), [])
  }))
  default = {
    orders = {
      readers = ["orders-api"]
    }
    payments = {
      readers  = ["payments-api", "ledger"]
      rotation = false
    }
  }
}

variable "audit_bucket_name" {
  type    = string
  default = "audit-logs"
}
