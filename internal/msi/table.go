package msi

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Column type bits, as stored in the Type column of _Columns.
const (
	typeValid       = 0x0100
	typeLocalizable = 0x0200
	typeString      = 0x0800
	typeNullable    = 0x1000
	typeKey         = 0x2000
	typeTemporary   = 0x4000
	typeUnknown     = 0x8000
)

// ColumnKind is how a column's cells are stored.
type ColumnKind uint8

const (
	KindString ColumnKind = iota // a reference into the string pool
	KindInt                      // a 16- or 32-bit integer
	KindBinary                   // a stream named after the row's primary key
)

// Column describes one column of a table.
type Column struct {
	Name        string
	Type        int // the raw type bits from _Columns, e.g. 0x1D48 for S72
	Kind        ColumnKind
	Size        int // maximum string length (0: unlimited), or 2 or 4 bytes for integers
	Nullable    bool
	Key         bool // part of the primary key
	Localizable bool
}

func newColumn(name string, typ int) Column {
	c := Column{
		Name:        name,
		Type:        typ,
		Size:        typ & 0xff,
		Nullable:    typ&typeNullable != 0,
		Key:         typ&typeKey != 0,
		Localizable: typ&typeLocalizable != 0,
	}
	switch {
	case isBinary(typ):
		c.Kind = KindBinary
	case typ&typeString != 0:
		c.Kind = KindString
	default:
		c.Kind = KindInt
	}
	return c
}

// isBinary is libmsi's MSITYPE_IS_BINARY: a string type of length 0 with
// no other flag than nullable.
func isBinary(typ int) bool { return typ&^typeNullable == typeString|typeValid }

// IDTType returns the column type as an .idt file (and msiinfo export)
// writes it: a letter (s string, l localizable string, i integer, v binary
// stream; upper case when nullable) followed by the size.
func (c Column) IDTType() string {
	var ch byte
	temporary := c.Type&typeTemporary != 0
	switch {
	case isBinary(c.Type):
		ch = 'v'
	case c.Type&typeLocalizable != 0:
		ch = 'l'
	case c.Type&typeUnknown != 0:
		ch = 'f'
	case c.Type&typeString != 0 && temporary:
		ch = 'g'
	case c.Type&typeString != 0:
		ch = 's'
	case temporary:
		ch = 'j'
	default:
		ch = 'i'
	}
	if c.Nullable {
		ch -= 'a' - 'A'
	}
	return string(ch) + strconv.Itoa(c.Type&0xff)
}

// width returns how many bytes a cell of this column takes in the table
// stream.
func (c Column) width(refSize int) (int, error) {
	switch {
	case isBinary(c.Type):
		return 2, nil
	case c.Type&typeString != 0:
		return refSize, nil
	case c.Type&0xff <= 2:
		return 2, nil
	case c.Type&0xff == 4:
		return 4, nil
	}
	return 0, fmt.Errorf("column %s: integer size %d is not 1, 2 or 4", c.Name, c.Type&0xff)
}

// ValueKind says what a Value holds.
type ValueKind uint8

const (
	Null   ValueKind = iota // an empty cell (NULL)
	String                  // a string
	Int                     // an integer
	Stream                  // a binary cell: the name of the stream holding its data (NULL when there is no such stream)
)

// Value is one cell of a table.
type Value struct {
	kind ValueKind
	s    string
	i    int32
}

// Kind returns what the value holds.
func (v Value) Kind() ValueKind { return v.kind }

// IsNull reports whether the cell is empty.
func (v Value) IsNull() bool { return v.kind == Null }

// Int returns an integer cell's value.
func (v Value) Int() (int, bool) { return int(v.i), v.kind == Int }

// Text returns a string cell's value.
func (v Value) Text() (string, bool) { return v.s, v.kind == String }

// StreamName returns the stream that holds a binary cell's data; open it
// with [File.OpenStream]. The name is the table name and the row's primary
// key values joined by dots, e.g. "Binary.MyDll"; a binary cell whose
// stream does not exist is NULL, as msiinfo shows it.
func (v Value) StreamName() (string, bool) { return v.s, v.kind == Stream }

// String formats the value as msiinfo export does: strings as they are,
// integers in decimal, streams by name, NULL as the empty string.
func (v Value) String() string {
	switch v.kind {
	case Int:
		return strconv.Itoa(int(v.i))
	case String, Stream:
		return v.s
	}
	return ""
}

// Table is a decoded table.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]Value // in stored order, one Value per column
}

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// ExportIDT renders the table as an .idt text file, byte for byte what
// `msiinfo export FILE TABLE` prints (CRLF line ends; values are not
// escaped, so a value holding a tab or newline is written as is). The
// lines are the column names, the column types, the table name followed
// by the primary key columns, then one line per row.
func (t *Table) ExportIDT() string {
	var b strings.Builder
	line := func(fields []string) {
		b.WriteString(strings.Join(fields, "\t"))
		b.WriteString("\r\n")
	}
	names := make([]string, len(t.Columns))
	types := make([]string, len(t.Columns))
	keys := []string{t.Name}
	for i, c := range t.Columns {
		names[i], types[i] = c.Name, c.IDTType()
		// libmsi finds primary keys through _Columns, which does not
		// describe the two system tables, so their export lists none.
		if c.Key && t.Name != "_Tables" && t.Name != "_Columns" {
			keys = append(keys, c.Name)
		}
	}
	line(names)
	line(types)
	line(keys)
	fields := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, v := range row {
			fields[i] = v.String()
		}
		line(fields)
	}
	return b.String()
}

// The fixed schemas of the two system tables.
var (
	tablesColumns = []Column{
		newColumn("Name", typeValid|typeString|typeKey|64),
	}
	columnsColumns = []Column{
		newColumn("Table", typeValid|typeString|typeKey|64),
		newColumn("Number", typeValid|typeKey|2),
		newColumn("Name", typeValid|typeString|64),
		newColumn("Type", typeValid|2),
	}
)

// schema is what _Tables and _Columns say.
type schema struct {
	tables  []string
	columns map[string][]Column
}

// Tables returns the names of the tables in the database, in the order
// of the _Tables table. `msiinfo tables` prints the same list after two
// pseudo-tables, _SummaryInformation and _ForceCodepage, which
// [File.ExportIDT] also accepts.
func (f *File) Tables() ([]string, error) {
	s, err := f.loadSchema()
	if err != nil {
		return nil, f.wrap(err)
	}
	return append([]string(nil), s.tables...), nil
}

func (f *File) loadSchema() (*schema, error) {
	if f.schema != nil {
		return f.schema, nil
	}
	sp, err := f.stringPool()
	if err != nil {
		return nil, err
	}
	traw, err := f.rawTable("_Tables", tablesColumns, sp.refSize)
	if err != nil {
		return nil, err
	}
	craw, err := f.rawTable("_Columns", columnsColumns, sp.refSize)
	if err != nil {
		return nil, err
	}
	s := &schema{columns: map[string][]Column{}}
	known := map[string]bool{}
	for i, row := range traw {
		name, err := sp.lookup(row[0])
		if err != nil || name == "" {
			return nil, corruptf("table _Tables: row %d: bad table name: %v", i+1, err)
		}
		if known[name] {
			return nil, corruptf("table _Tables: table %s is listed twice", name)
		}
		known[name] = true
		s.tables = append(s.tables, name)
	}
	type numbered struct {
		n   int
		col Column
	}
	cols := map[string][]numbered{}
	for i, row := range craw {
		table, err := sp.lookup(row[0])
		if err != nil {
			return nil, corruptf("table _Columns: row %d: %v", i+1, err)
		}
		name, err := sp.lookup(row[2])
		if err != nil {
			return nil, corruptf("table _Columns: row %d: %v", i+1, err)
		}
		if row[1] == 0 || row[3] == 0 {
			return nil, corruptf("table _Columns: row %d: column %s.%s has no number or type", i+1, table, name)
		}
		num := int(row[1]) - 0x8000
		typ := int(row[3]) - 0x8000
		cols[table] = append(cols[table], numbered{num, newColumn(name, typ&0xFFFF)})
	}
	for table, list := range cols {
		if !known[table] {
			continue
		}
		sort.Slice(list, func(i, j int) bool { return list[i].n < list[j].n })
		out := make([]Column, len(list))
		for i, nc := range list {
			if nc.n != i+1 {
				return nil, corruptf("table _Columns: table %s: columns are not numbered 1 to %d", table, len(list))
			}
			out[i] = nc.col
		}
		s.columns[table] = out
	}
	f.schema = s
	return s, nil
}

// rawTable reads a table stream and returns its cells as stored: string
// ids, integers with their bias, 0 for NULL. Tables are stored column by
// column: all cells of the first column, then all of the second, and so
// on; a table without a stream has no rows.
func (f *File) rawTable(name string, cols []Column, refSize int) ([][]uint32, error) {
	data, _, err := f.readMeta(string(rune(tableMarker)) + name)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	widths := make([]int, len(cols))
	rowSize := 0
	for i, c := range cols {
		w, err := c.width(refSize)
		if err != nil {
			return nil, corruptf("table %s: %v", name, err)
		}
		widths[i] = w
		rowSize += w
	}
	if rowSize == 0 {
		return nil, corruptf("table %s: no columns", name)
	}
	if len(data)%rowSize != 0 {
		return nil, corruptf("table %s: column data truncated (%d bytes is not a whole number of %d-byte rows)", name, len(data), rowSize)
	}
	nrows := len(data) / rowSize
	rows := make([][]uint32, nrows)
	cells := make([]uint32, nrows*len(cols))
	for r := range rows {
		rows[r] = cells[r*len(cols) : (r+1)*len(cols)]
	}
	off := 0
	for j, w := range widths {
		for r := 0; r < nrows; r++ {
			var v uint32
			for k := w - 1; k >= 0; k-- {
				v = v<<8 | uint32(data[off+k])
			}
			rows[r][j] = v
			off += w
		}
	}
	return rows, nil
}

// Table reads and decodes the named table. The system tables _Tables and
// _Columns can be read too. A table that is not in _Tables is an error
// matching ErrNotFound.
func (f *File) Table(name string) (*Table, error) {
	t, err := f.table(name)
	return t, f.wrap(err)
}

func (f *File) table(name string) (*Table, error) {
	sp, err := f.stringPool()
	if err != nil {
		return nil, err
	}
	var cols []Column
	switch name {
	case "_Tables":
		cols = tablesColumns
	case "_Columns":
		cols = columnsColumns
	default:
		s, err := f.loadSchema()
		if err != nil {
			return nil, err
		}
		if !slices.Contains(s.tables, name) {
			return nil, fmt.Errorf("table %s: %w", name, ErrNotFound)
		}
		cols = s.columns[name]
		if len(cols) == 0 {
			return nil, corruptf("table %s: no columns in _Columns", name)
		}
	}
	raw, err := f.rawTable(name, cols, sp.refSize)
	if err != nil {
		return nil, err
	}
	t := &Table{Name: name, Columns: append([]Column(nil), cols...), Rows: make([][]Value, len(raw))}
	for r, rawRow := range raw {
		row := make([]Value, len(cols))
		for j, c := range cols {
			v := rawRow[j]
			switch {
			case c.Kind == KindBinary:
				stream, err := f.streamNameFor(name, cols, rawRow, sp)
				if err != nil {
					return nil, fmt.Errorf("table %s: row %d: %w", name, r+1, err)
				}
				if _, ok := f.streams[stream]; ok {
					row[j] = Value{kind: Stream, s: stream}
				}
			case v == 0:
				// NULL
			case c.Kind == KindString:
				s, err := sp.lookup(v)
				if err != nil {
					return nil, corruptf("table %s: row %d column %s: %v", name, r+1, c.Name, err)
				}
				row[j] = Value{kind: String, s: s}
			case c.Size == 4:
				row[j] = Value{kind: Int, i: int32(v ^ 0x80000000)}
			default:
				row[j] = Value{kind: Int, i: int32(v) - 0x8000}
			}
		}
		t.Rows[r] = row
	}
	return t, nil
}

// streamNameFor builds the name of the stream that holds a binary cell:
// the table name and the row's primary key values, joined by dots (as
// libmsi's get_stream_name does, e.g. "Binary.MyDll").
func (f *File) streamNameFor(table string, cols []Column, raw []uint32, sp *stringPool) (string, error) {
	parts := []string{table}
	for j, c := range cols {
		if !c.Key {
			continue
		}
		switch {
		case c.Kind == KindString:
			s, err := sp.lookup(raw[j])
			if err != nil {
				return "", corruptf("key column %s: %v", c.Name, err)
			}
			parts = append(parts, s)
		case c.Size == 4:
			parts = append(parts, strconv.Itoa(int(int32(raw[j]^0x80000000))))
		default:
			parts = append(parts, strconv.Itoa(int(raw[j])-0x8000))
		}
	}
	return strings.Join(parts, "."), nil
}

// Properties returns the Property table as a map from property name to
// value.
func (f *File) Properties() (map[string]string, error) {
	t, err := f.Table("Property")
	if err != nil {
		return nil, err
	}
	k, v := t.ColumnIndex("Property"), t.ColumnIndex("Value")
	if k < 0 || v < 0 {
		return nil, f.wrap(corruptf("table Property: no Property or Value column"))
	}
	props := make(map[string]string, len(t.Rows))
	for _, row := range t.Rows {
		props[row[k].String()] = row[v].String()
	}
	return props, nil
}

// ExportIDT returns the named table as `msiinfo export FILE NAME` prints
// it. Besides the tables it accepts the pseudo-tables _SummaryInformation
// (the summary information stream) and _ForceCodepage (the database
// codepage), which msiinfo exports the same way.
func (f *File) ExportIDT(name string) (string, error) {
	switch name {
	case "_ForceCodepage":
		cp, err := f.Codepage()
		if err != nil {
			return "", err
		}
		// msiinfo writes the terminating NUL of its buffer too.
		return fmt.Sprintf("\r\n\r\n%d\t_ForceCodepage\r\n\x00", cp), nil
	case "_SummaryInformation":
		s, err := f.Summary()
		if err != nil {
			return "", err
		}
		return s.exportIDT(), nil
	}
	t, err := f.Table(name)
	if err != nil {
		return "", err
	}
	return t.ExportIDT(), nil
}
