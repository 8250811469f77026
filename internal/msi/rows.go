package msi

import (
	"errors"
	"strconv"
)

// Rows returns a table's rows as maps from column name to the value as
// text (as msiinfo export prints it; "" for null). A table the database
// does not have has no rows. It serves the install simulator.
func (f *File) Rows(name string) ([]map[string]string, error) {
	t, err := f.Table(name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(t.Rows))
	for i, r := range t.Rows {
		m := make(map[string]string, len(t.Columns))
		for j, c := range t.Columns {
			if n, ok := r[j].Int(); ok {
				m[c.Name] = strconv.Itoa(n)
			} else {
				m[c.Name] = r[j].String()
			}
		}
		out[i] = m
	}
	return out, nil
}
