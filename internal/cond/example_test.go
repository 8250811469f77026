package cond_test

import (
	"fmt"

	"github.com/msiforge/msiforge/internal/cond"
)

func Example() {
	c, err := cond.Parse(`Installed OR (ALLUSERS="" AND SHOULDAUTOUPDATE="1")`)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.String())
	fmt.Println(c.Properties())

	ok, err := c.Eval(&cond.Env{Props: map[string]string{"SHOULDAUTOUPDATE": "1"}})
	fmt.Println(ok, err)

	// Feature and component states come from the caller.
	env := &cond.Env{Features: map[string]cond.ItemState{
		"Docs": {Installed: cond.StateAbsent, Action: cond.StateLocal},
	}}
	ok, err = cond.Eval(`&Docs = 3 AND NOT !Docs = 3`, env)
	fmt.Println(ok, err)

	_, err = cond.Parse(`VersionNT >= 601 AND A = "x`)
	fmt.Println(err)
	// Output:
	// Installed OR ALLUSERS = "" AND SHOULDAUTOUPDATE = "1"
	// [ALLUSERS Installed SHOULDAUTOUPDATE]
	// true <nil>
	// true <nil>
	// cond: col 26: unterminated string
}
