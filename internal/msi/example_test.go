package msi_test

import (
	"fmt"
	"io"
	"log"

	"github.com/msiforge/msiforge/internal/msi"
)

func Example() {
	f, err := msi.Open("testdata/tiny.msi")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	s, err := f.Summary()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("template:", s.Template, "schema:", s.PageCount, "per-machine:", s.WordCount&8 == 0)
	fmt.Println("signed:", f.Signed())

	props, err := f.Properties()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(props["ProductName"], props["ProductVersion"], props["ProductCode"], props["GREETING"])

	bin, err := f.Table("Binary")
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range bin.Rows {
		name, _ := row[bin.ColumnIndex("Data")].StreamName()
		r, size, err := f.OpenStream(name)
		if err != nil {
			log.Fatal(err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d bytes, starts %q\n", name, size, data[:7])
	}

	ca, err := f.Table("CustomAction")
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range ca.Rows {
		typ, _ := row[ca.ColumnIndex("Type")].Int()
		ext := row[ca.ColumnIndex("ExtendedType")]
		fmt.Printf("%s type %d source %s null extended type: %v\n", row[0], typ, row[2], ext.IsNull())
	}
	// Output:
	// template: x64;1033 schema: 500 per-machine: true
	// signed: false
	// Tiny 1.0.0 {11111111-2222-3333-4444-555555555555} grüß dich
	// Binary.Helper: 4200 bytes, starts "helper\n"
	// SetStamp type 2099 source STAMP null extended type: true
	// DllCa type 2049 source Helper null extended type: true
}
