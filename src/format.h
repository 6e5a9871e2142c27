/*
 * format.h — on-disk constants of gzcore's compressed cores and their index.
 *
 * Design: a compressed core is ONE ordinary gzip member (or one zlib stream).
 * Its deflate stream is cut into spans of a fixed uncompressed size; every
 * span is compressed with no history from the one before and ends on a byte
 * boundary (as Z_FULL_FLUSH does), so decoding can start at any span with no
 * 32 KiB window. The index (a separate file, a cache) records where each span
 * starts. docs/FORMAT.md draws every byte; keep the two in step.
 *
 *  gzip container (our files):
 *  +----+----+----+-----+-------+-----+----+--------+--------------------------+
 *  | 1f | 8b | 08 | FLG | MTIME | XFL | OS | XLEN=12| 'G' 'C' LEN=8 | payload  |
 *  +----+----+----+-----+-------+-----+----+--------+--------------------------+
 *   payload: version(1)=1 | flags(1) | span_size(u32 LE) | reserved(2)=0
 *  then span 0 | span 1 | ... | span n-1 | 03 00 | CRC32 (LE) | ISIZE (LE)
 *  each span: deflate blocks, none final, ending on a byte boundary with an
 *  empty stored block (its last 4 bytes 00 00 ff ff), or stored raw.
 *  03 00 is an empty final fixed-Huffman block.
 *
 *  zlib container: 78 xx | spans | 03 00 | ADLER32 (BE)
 */
#ifndef GZC_FORMAT_H
#define GZC_FORMAT_H

#include <stdint.h>

enum gzc_container {
	GZC_GZIP = 0, /* RFC 1952, the default */
	GZC_ZLIB = 1, /* RFC 1950, on request */
};

/* gzip header as written by gzcore */
#define GZC_GZ_ID1            0x1f
#define GZC_GZ_ID2            0x8b
#define GZC_GZ_CM_DEFLATE     8
#define GZC_GZ_FLG_FEXTRA     0x04
#define GZC_GZ_OS_UNIX        3
#define GZC_GZ_FIXED_LEN      10  /* ID1..OS */
#define GZC_GZ_XLEN_LEN       2
#define GZC_GZ_SUBFIELD_HDR   4   /* SI1 SI2 LEN(2) */
#define GZC_GZ_SI1            'G'
#define GZC_GZ_SI2            'C'
#define GZC_GZ_EXTRA_PAYLOAD  8
#define GZC_GZ_EXTRA_VERSION  1
#define GZC_GZ_HEADER_LEN     (GZC_GZ_FIXED_LEN + GZC_GZ_XLEN_LEN + GZC_GZ_SUBFIELD_HDR + GZC_GZ_EXTRA_PAYLOAD) /* 24 */
#define GZC_GZ_TRAILER_LEN    8   /* CRC32 + ISIZE, little-endian */
#define GZC_ZLIB_HEADER_LEN   2
#define GZC_ZLIB_TRAILER_LEN  4   /* ADLER32, big-endian */
#define GZC_EXTRA_FLAG_INDEPENDENT 0x01 /* spans carry no history across their edges */

/* the empty final fixed-Huffman block that closes every deflate stream we write */
#define GZC_FINAL_BLOCK_LEN   2
#define GZC_FINAL_BLOCK_0     0x03
#define GZC_FINAL_BLOCK_1     0x00

/* span sizes */
#define GZC_SPAN_MIN          (64u * 1024)
#define GZC_SPAN_MAX          (64u * 1024 * 1024)
/* the format's specified default. A random read decodes its span from the
 * start up to the check segment it ends in: --span 512K halves that work
 * (median 0.44 against 0.85 ms on the reference core) for 0.02% more bytes */
#define GZC_SPAN_DEFAULT      (1u * 1024 * 1024)
/* at the best level (9) spans default to 4 MiB: each span edge costs about
 * 200 bytes of ratio, and -9 promises output no larger than gzip -9's */
#define GZC_SPAN_DEFAULT_BEST (4u * 1024 * 1024)
/* a foreign file's checkpoint may only sit on a deflate block edge, so a span
 * can be longer than asked; longer than this and the file is refused (-E2BIG) */
#define GZC_FOREIGN_SPAN_MAX  (256u * 1024 * 1024)
/* deflate's largest expansion: 258 bytes from one 2-bit length/distance
 * pair, so no compressed file of c bytes decodes to more than 1032 * c */
#define GZC_DEFLATE_MAX_RATIO 1032u
/* checkpoint spacing for foreign files: each checkpoint keeps a 32 KiB
 * window in the index, so it does not follow our own span size */
#define GZC_FOREIGN_SPACING   (1u * 1024 * 1024)
#define GZC_WINDOW_SIZE       32768u

/*
 * Index file ("<core>.gzx"), all integers little-endian:
 *
 *  offset size  field
 *  0      8     magic "GZCIDX\r\n"
 *  8      4     version (1)
 *  12     4     flags (GZC_IDX_F_*)
 *  16     4     span_size (nominal uncompressed span size)
 *  20     4     nspans
 *  24     8     usize: whole uncompressed size, 64 bits
 *  32     8     csize: size of the compressed file it describes
 *  40     4     head_crc: CRC-32 of the compressed file's first min(4096, csize) bytes
 *  44     4     tail_crc: CRC-32 of its last min(4096, csize) bytes
 *  48     4     data_crc: CRC-32 of the whole uncompressed data
 *  52     4     seg_size: bytes per check segment (0: no segment CRCs)
 *  56     8     wsize: bytes of the window area
 *  64     40*n  span entries (below)
 *  ..     4*m   segment CRCs: for each span in order that is not all zero,
 *               ceil(len / seg_size) CRC-32s of its consecutive seg_size
 *               pieces (the last may be shorter); m is the sum
 *  ..     wsize window area: raw-deflated 32 KiB windows, each at its entry's woff
 *  ..     4     CRC-32 of every byte before it
 *
 *  span entry (40 bytes):
 *  0  8 uoff   uncompressed offset of the span
 *  8  8 coff   compressed offset of the span's first whole byte
 *  16 8 woff   offset of its window in the window area
 *  24 4 wlen   compressed window length (0: none needed)
 *  28 4 crc    CRC-32 of the span's uncompressed bytes
 *  32 1 bits   how many high bits of byte coff-1 start the span (0..7); 0 = aligned
 *  33 1 flags  GZC_SPAN_F_*
 *  34 6 reserved (0)
 */
#define GZC_IDX_MAGIC          "GZCIDX\r\n"
#define GZC_IDX_MAGIC_LEN      8
#define GZC_IDX_VERSION        1
#define GZC_IDX_HEADER_LEN     64
#define GZC_IDX_ENTRY_LEN      40
#define GZC_IDX_TRAILER_LEN    4
#define GZC_IDX_PROBE_LEN      4096u   /* bytes of head/tail fingerprinted */
#define GZC_IDX_MAX_SPANS      (1u << 26)
#define GZC_IDX_SUFFIX         ".gzx"
/* A read that needs only the start of a span decodes only up to the end of
 * the check segment it ends in, and verifies those segments' CRCs. */
#define GZC_SEG_SIZE           (128u * 1024)

#define GZC_IDX_F_FOREIGN      0x01u /* not written by gzcore: checkpoints need windows */
#define GZC_IDX_F_TRUNCATED    0x02u /* the input ended early (read error, limit, disk full) */
#define GZC_IDX_F_ZLIB         0x04u /* zlib container, not gzip */
#define GZC_IDX_F_MULTIMEMBER  0x08u /* several gzip members */
#define GZC_IDX_F_KNOWN        (GZC_IDX_F_FOREIGN | GZC_IDX_F_TRUNCATED | GZC_IDX_F_ZLIB | GZC_IDX_F_MULTIMEMBER)

#define GZC_SPAN_F_ZERO        0x01u /* every uncompressed byte is zero */
#define GZC_SPAN_F_MEMBER      0x02u /* coff is the start of a gzip member header */
#define GZC_SPAN_F_KNOWN       (GZC_SPAN_F_ZERO | GZC_SPAN_F_MEMBER)

#endif
