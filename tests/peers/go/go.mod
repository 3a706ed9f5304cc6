module apikeys-go-peer

go 1.19
