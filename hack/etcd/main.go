// Command etcd is the upstream etcd server; its module cannot be `go install`ed (it has
// replace directives), so this wrapper links it from the published server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
