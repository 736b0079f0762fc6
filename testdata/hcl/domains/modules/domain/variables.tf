variable "name" {
  type = string
}

variable "rotation" {
  type    = bool
  default = true
}

variable "admins" {
  type = list(string)
}

variable "reader_roles" {
  type    = list(string)
  default = []
}
