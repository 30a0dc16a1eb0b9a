from __future__ import annotations


def test_grid_officer_lists_own_task(world, client_for, report):
    task = report()
    r = client_for(world.grid_officer).get("/api/v1/tasks/")
    assert r.status_code == 200, r.content
    assert [t["id"] for t in r.json()["results"]] == [task.pk]
    r = client_for(world.grid_officer).get(f"/api/v1/tasks/{task.pk}/")
    assert r["ETag"] == f'"{task.version}"'
