// Boost.MPL ships numbered maps up to map50; the case machine's table needs the limit
// raised (workflows/CMakeLists.txt: BOOST_MPL_LIMIT_MAP_SIZE=60, with
// BOOST_MPL_CFG_NO_PREPROCESSED_HEADERS). MPL then includes this header, which generates
// map51..map60 exactly as Boost's own map50.hpp generates map41..map50.
#ifndef BOOST_MPL_MAP_MAP60_HPP_INCLUDED
#define BOOST_MPL_MAP_MAP60_HPP_INCLUDED

#include <boost/mpl/map/map50.hpp>
#include <boost/preprocessor/iterate.hpp>

namespace boost {
namespace mpl {

#define BOOST_PP_ITERATION_PARAMS_1 (3, (51, 60, <boost/mpl/map/aux_/numbered.hpp>))
#include BOOST_PP_ITERATE()

}  // namespace mpl
}  // namespace boost

#endif
