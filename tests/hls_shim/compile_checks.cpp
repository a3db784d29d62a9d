// Snippets compiled one at a time (-DCASE_<name>) by compile_checks.cmake against hls_shim/,
// and against AMD's headers when the build has BROKER_HLS_INCLUDE:
//   ok            compiles everywhere (the harness works)
//   AMD rejects   fails against the shim and against AMD's headers
//   shim omits    fails against the shim; AMD's headers accept it with results the shim does
//                 not reproduce (see hls_shim/ap_int.h), so the shim leaves it out
#include <ap_int.h>
#include <ap_axi_sdata.h>
#include <hls_stream.h>

#include <iostream>
#include <string>

void check() {
  ap_uint<512> a = 1, b = 2;
  ap_int<8> s = -1;
  hls::stream<int> q;
  (void)a;
  (void)b;
  (void)s;
#if defined(CASE_ok)
  ap_uint<2048> w = a;
  w = (w << 8) >> ap_uint<12>(16);
  ap_uint<8> byte = w.range(15, 8);
  w.range(7, 0) = byte + 1;
  w[3] = b[1];
  ap_int<9> d = byte - ap_uint<8>(1);
  bool r = (w & a).xor_reduce() || d < 0 || a.to_uint64() == 2;
  q.write(int(r));
  int x = 0;
  q >> x;
  ap_axiu<512, 0, 8, 8> beat;
  beat.id = 3;
  (void)beat;
// ---- AMD rejects -----------------------------------------------------------------------------
#elif defined(CASE_byte)
  (void)a.byte(0);
#elif defined(CASE_set_byte)
  a.set_byte(0, 1);
#elif defined(CASE_get_hi_lo)
  (void)a.get(7, 0);
#elif defined(CASE_set_hi_lo)
  a.set(7, 0, 1);
#elif defined(CASE_stream_copy)
  hls::stream<int> t(q);
#elif defined(CASE_stream_assign)
  hls::stream<int> t;
  t = q;
#elif defined(CASE_stream_chain)
  q << 1 << 2;
#elif defined(CASE_stream_chain_read)
  int x, y;
  q >> x >> y;
#elif defined(CASE_stream_const_empty)
  auto f = [](const hls::stream<int>& c) { return c.empty(); };
  (void)f;
#elif defined(CASE_stream_depth)
  hls::stream<int, 4> d;
#elif defined(CASE_range_subscript)
  bool bit = a.range(7, 0)[1];
#elif defined(CASE_range_of_range)
  (void)a.range(7, 4).range(1, 0);
#elif defined(CASE_bit_to_uint)
  (void)a[0].to_uint();
#elif defined(CASE_pointer)
  int* p = a;
#elif defined(CASE_axis_user_disabled)
  ap_axiu<512, 0, 8, 8> beat;
  beat.user = 1;
// ---- shim omits ------------------------------------------------------------------------------
#elif defined(CASE_divide)
  auto c = a / b;
#elif defined(CASE_remainder_int)
  auto c = a % 3;
#elif defined(CASE_divide_int_by_ap)
  auto c = 100 / s;
#elif defined(CASE_from_double)
  ap_uint<8> f = 1.5;
#elif defined(CASE_plus_double)
  auto d = s + 0.5;
#elif defined(CASE_less_double)
  bool c = s < 0.5;
#elif defined(CASE_comma_concat)
  ap_uint<1024> c = (a, b);
#elif defined(CASE_concat)
  auto c = a.concat(b);
#elif defined(CASE_range_or_assign)
  a.range(3, 0) |= b;
#elif defined(CASE_range_xor_reduce)
  (void)a.range(3, 0).xor_reduce();
#elif defined(CASE_nand_reduce)
  (void)a.nand_reduce();
#elif defined(CASE_signed_xor_reduce)
  (void)s.xor_reduce();
#elif defined(CASE_named_range_add)
  auto r = a.range(3, 0);
  r += b;
#elif defined(CASE_set_bit)
  a.set(3);
#elif defined(CASE_to_string)
  std::string t = a.to_string();
#elif defined(CASE_read_istream)
  std::cin >> s;
#elif defined(CASE_over_max_width)
  ap_uint<5000> big;
#else
#error "unknown CASE"
#endif
}
