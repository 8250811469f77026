package sign

import (
	"context"
	"crypto"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/binpatch"
)

// signPE reads src once: one goroutine feeds relic's Authenticode digest
// while another copies the bytes to dst and sums them for the PE checksum.
// Both run on separate cores, so signing costs about one SHA-256 pass. The
// signature and the new checksum are then patched into dst.
func (s *Signer) signPE(ctx context.Context, src, dst *os.File) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var sum peWordSum
	var digest *authenticode.PEDigest
	err := fanOut(ctx, src, func(r io.Reader) error {
		var err error
		digest, err = authenticode.DigestPE(r, crypto.SHA256, s.PageHashes)
		return err
	}, func(chunk []byte) error {
		sum.write(chunk)
		_, err := dst.Write(chunk)
		return err
	})
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	patch, _, err := digest.Sign(ctx, s.relicCert(), s.opus())
	if err != nil {
		return err
	}
	return applyPatch(dst, patch, &sum)
}

// applyPatch writes relic's patches into dst in place and fixes the PE
// checksum. The checksum is a sum of 16-bit words, so instead of reading the
// whole file again it is adjusted: the old bytes of each patched range are
// subtracted from the sum of the original and the new bytes added.
func applyPatch(dst *os.File, patch *binpatch.PatchSet, sum *peWordSum) error {
	size := sum.off
	total := sum.sum
	for i, p := range patch.Patches {
		if int64(p.NewSize) != int64(len(patch.Blobs[i])) {
			return errors.New("inconsistent signature patch")
		}
		// Only the last patch may change the length, and only at the end
		// of the file: it replaces the old certificate table.
		if p.OldSize != p.NewSize && (i != len(patch.Patches)-1 || p.Offset+int64(p.OldSize) != size) {
			return errors.New("signature patch cannot be applied in place")
		}
		old, err := rangeSum(dst, p.Offset, int64(p.OldSize))
		if err != nil {
			return err
		}
		total = total - old + bytesSum(p.Offset, patch.Blobs[i])
	}
	for i, p := range patch.Patches {
		if _, err := dst.WriteAt(patch.Blobs[i], p.Offset); err != nil {
			return err
		}
		if i == len(patch.Patches)-1 && p.OldSize != p.NewSize {
			size = p.Offset + int64(p.NewSize)
			if err := dst.Truncate(size); err != nil {
				return err
			}
		}
	}
	var hdr [0x40]byte
	if _, err := dst.ReadAt(hdr[:], 0); err != nil {
		return err
	}
	ckPos := int64(binary.LittleEndian.Uint32(hdr[0x3c:])) + 88
	// The checksum field itself counts as zero.
	old, err := rangeSum(dst, ckPos, 4)
	if err != nil {
		return err
	}
	total -= old
	var ck [4]byte
	binary.LittleEndian.PutUint32(ck[:], peChecksum(total, size))
	_, err = dst.WriteAt(ck[:], ckPos)
	return err
}

// peChecksum finishes the sum the way Windows (and relic) do: 16-bit
// ones'-complement addition, plus the file length.
func peChecksum(total uint64, size int64) uint32 {
	var folded uint64
	if total != 0 {
		folded = (total-1)%0xFFFF + 1
	}
	return uint32(folded) + uint32(size)
}

// peWordSum is the PE checksum's running sum, kept as an exact integer so
// ranges can be subtracted later: bytes at even offsets count as low bytes
// of 16-bit words and bytes at odd offsets as high bytes.
type peWordSum struct {
	sum uint64
	off int64 // bytes seen so far
}

func (w *peWordSum) write(p []byte) {
	if len(p) == 0 {
		return
	}
	if w.off%2 == 1 {
		w.sum += uint64(p[0]) << 8
		p = p[1:]
		w.off++
	}
	w.sum += wordSum(p)
	w.off += int64(len(p))
}

// wordSum adds the little-endian 16-bit words of p, which starts at an even
// file offset; an odd last byte is a low byte. Eight bytes are summed at a
// time in 16-bit lanes, folded before a lane can overflow.
func wordSum(p []byte) uint64 {
	const mask = 0x00FF00FF00FF00FF
	var total uint64
	for len(p) >= 8 {
		n := min(len(p)/8, 256) // 256×255 fits a 16-bit lane
		var lo, hi uint64
		for i := 0; i < n; i++ {
			v := binary.LittleEndian.Uint64(p[i*8:])
			lo += v & mask
			hi += (v >> 8) & mask
		}
		p = p[n*8:]
		total += foldLanes(lo) + foldLanes(hi)<<8
	}
	for i := 0; i < len(p); i++ {
		if i%2 == 0 {
			total += uint64(p[i])
		} else {
			total += uint64(p[i]) << 8
		}
	}
	return total
}

func foldLanes(v uint64) uint64 {
	return v&0xFFFF + (v>>16)&0xFFFF + (v>>32)&0xFFFF + v>>48
}

// rangeSum sums the words of f in [off, off+n).
func rangeSum(f *os.File, off, n int64) (uint64, error) {
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil {
		return 0, err
	}
	return bytesSum(off, buf), nil
}

// bytesSum sums the words of p, which sits at file offset off.
func bytesSum(off int64, p []byte) uint64 {
	w := peWordSum{off: off}
	w.write(p)
	return w.sum
}
