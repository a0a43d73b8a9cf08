package recommend

import "testing"

func TestCiteFloors(t *testing.T) {
	ids := []string{"coffee1", "coffee2", "shirt1", "shirt2"}
	top := map[string]string{"coffee1": "食品", "coffee2": "食品", "shirt1": "服饰", "shirt2": "服饰"}
	var table [][]nbr
	for i := range ids {
		var row []nbr
		for j := range ids {
			if i == j {
				continue
			}
			s := float32(0.5) // same category: strong
			if top[ids[i]] != top[ids[j]] {
				s = float32(0.05 + 0.01*float64(i+j)) // across categories: weak, 0.06 to 0.10
			}
			row = append(row, nbr{j: int32(j), s: s})
		}
		table = append(table, row)
	}
	f := floorsOf(ids, table, func(id string) string { return top[id] })
	if !f.cites("食品", "食品", 0.5) {
		t.Errorf("a strong same-category link is not cited (floors %+v)", f)
	}
	if f.cites("食品", "服饰", 0.06) {
		t.Errorf("a weak cross-category link is cited (floors %+v)", f)
	}
	if !f.cites("食品", "服饰", 0.10) {
		t.Errorf("the strongest cross-category link is not cited (floors %+v)", f)
	}
	if f.cross <= f.same/10 || f.same != 0.5 {
		t.Errorf("floors %+v", f)
	}
	if (citeFloors{}).cites("a", "b", 0) != true {
		t.Error("with no learned floors (real-time links only) every link may be cited")
	}
}
