// Boost.MPL ships numbered vectors up to vector50; the case machine's table needs the limit
// raised (workflows/CMakeLists.txt: BOOST_MPL_LIMIT_VECTOR_SIZE=60, with
// BOOST_MPL_CFG_NO_PREPROCESSED_HEADERS). MPL then includes this header, which generates
// vector51..vector60 exactly as Boost's own vector50.hpp generates vector41..vector50.
#ifndef BOOST_MPL_VECTOR_VECTOR60_HPP_INCLUDED
#define BOOST_MPL_VECTOR_VECTOR60_HPP_INCLUDED

#include <boost/mpl/vector/vector50.hpp>
#include <boost/preprocessor/iterate.hpp>

namespace boost {
namespace mpl {

#define BOOST_PP_ITERATION_PARAMS_1 (3, (51, 60, <boost/mpl/vector/aux_/numbered.hpp>))
#include BOOST_PP_ITERATE()

}  // namespace mpl
}  // namespace boost

#endif
