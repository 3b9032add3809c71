package analyzer

import "os"

var lookupEnv = os.Getenv
