package sign

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

const (
	teeChunkSize = 1 << 20
	teeChunks    = 4 // bounds memory: at most 4 MiB of file in flight
)

type chunk struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

// fanOut reads src once, in 1 MiB chunks, and hands every chunk both to
// consume (as a plain reader, on the calling goroutine) and to side (on its
// own goroutine), so that hashing and copying overlap on two cores. It
// returns after both have finished, with the first error.
func fanOut(ctx context.Context, src io.Reader, consume func(io.Reader) error, side func([]byte) error) error {
	free := make(chan *chunk, teeChunks)
	for range teeChunks {
		free <- &chunk{buf: make([]byte, teeChunkSize)}
	}
	toConsume := make(chan *chunk, teeChunks)
	toSide := make(chan *chunk, teeChunks)
	done := make(chan struct{}) // closed when the consumer stops reading
	release := func(c *chunk) {
		if c.refs.Add(-1) == 0 {
			free <- c
		}
	}

	var readErr, sideErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // reader
		defer wg.Done()
		defer close(toConsume)
		defer close(toSide)
		for {
			// A select with a free chunk and a cancelled context both
			// ready picks either; look at the context first.
			if err := ctx.Err(); err != nil {
				readErr = err
				return
			}
			var c *chunk
			select {
			case c = <-free:
			case <-done:
				return
			case <-ctx.Done():
				readErr = ctx.Err()
				return
			}
			n, err := io.ReadFull(src, c.buf)
			c.n = n
			if n > 0 {
				c.refs.Store(2)
				toSide <- c // buffered as deep as the pool, never blocks
				toConsume <- c
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					readErr = err
				}
				return
			}
		}
	}()
	go func() { // side
		defer wg.Done()
		for c := range toSide {
			if sideErr == nil {
				sideErr = side(c.buf[:c.n])
			}
			release(c)
		}
	}()

	cr := &chanReader{ch: toConsume, release: release}
	err := consume(cr)
	if err == nil {
		// The consumer may stop before the end (it cannot know the file
		// length); the side still has to see everything.
		_, err = io.Copy(io.Discard, cr)
	}
	close(done)
	cr.drain()
	wg.Wait()
	return errors.Join(readErr, err, sideErr)
}

// chanReader turns the stream of chunks back into an io.Reader.
type chanReader struct {
	ch      chan *chunk
	cur     *chunk
	pos     int
	release func(*chunk)
}

func (r *chanReader) Read(p []byte) (int, error) {
	for r.cur == nil || r.pos == r.cur.n {
		if r.cur != nil {
			r.release(r.cur)
			r.cur = nil
		}
		c, ok := <-r.ch
		if !ok {
			return 0, io.EOF
		}
		r.cur, r.pos = c, 0
	}
	n := copy(p, r.cur.buf[r.pos:r.cur.n])
	r.pos += n
	return n, nil
}

// drain releases every chunk the consumer did not read, so the reader
// goroutine can finish.
func (r *chanReader) drain() {
	if r.cur != nil {
		r.release(r.cur)
		r.cur = nil
	}
	for c := range r.ch {
		r.release(c)
	}
}
