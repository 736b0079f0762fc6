domains = {
  orders = {
    readers = ["orders-api"]
  }
  payments = {
    readers  = ["payments-api", "ledger"]
    rotation = false
  }
  customers = {
    readers      = ["crm"]
    extra_admins = ["arn:aws:iam::111122223333:role/break-glass"]
  }
}
