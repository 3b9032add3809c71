package client

import (
	"errors"
	"fmt"

	"github.com/selfchain/selfchain/app/runtime"
)

// QueryError is an ABCI query the application answered with a non-zero code.
type QueryError struct {
	Path      string
	Codespace string
	Code      uint32
	Log       string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query %s failed: codespace %s, code %d: %s", e.Path, e.Codespace, e.Code, e.Log)
}

// IsNotFound reports whether err is the application's "not found" answer.
func IsNotFound(err error) bool {
	var qe *QueryError
	return errors.As(err, &qe) && qe.Codespace == runtime.ErrNotFound.Codespace() && qe.Code == runtime.ErrNotFound.Code()
}
